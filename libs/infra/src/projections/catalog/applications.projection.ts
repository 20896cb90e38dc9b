import type pg from 'pg';
import type { ApplicationEvent, StoredEvent } from '#domain';
import type { Projection } from '../projection.js';

export const applicationsProjection: Projection = {
  name: 'catalog.applications',
  eventTypes: ['ApplicationCreated', 'ApplicationUpdated', 'ApplicationDependenciesDeclared'],
  async apply(stored: StoredEvent, tx: pg.PoolClient): Promise<void> {
    const event = stored as unknown as ApplicationEvent;
    switch (event.type) {
      case 'ApplicationCreated': {
        const { name, team, description, createdAt } = event.data;
        await tx.query(
          `INSERT INTO rm_applications (name, team, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
           ON CONFLICT (name) DO UPDATE SET team = $2, description = $3, created_at = $4, updated_at = $4`,
          [name, team, description, createdAt],
        );
        return;
      }
      case 'ApplicationUpdated': {
        const { name, team, description, updatedAt } = event.data;
        await tx.query('UPDATE rm_applications SET team = $2, description = $3, updated_at = $4 WHERE name = $1', [
          name,
          team,
          description,
          updatedAt,
        ]);
        return;
      }
      case 'ApplicationDependenciesDeclared': {
        const { name, dependencies, declaredAt } = event.data;
        await tx.query('UPDATE rm_applications SET dependencies = $2, updated_at = $3 WHERE name = $1', [
          name,
          JSON.stringify(dependencies),
          declaredAt,
        ]);
        return;
      }
      default:
        return;
    }
  },
};
