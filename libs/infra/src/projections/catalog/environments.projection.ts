import type pg from 'pg';
import type { EnvironmentEvent, StoredEvent } from '#domain';
import type { Projection } from '../projection.js';

export const environmentsProjection: Projection = {
  name: 'catalog.environments',
  eventTypes: ['EnvironmentDefined', 'EnvironmentUpdated'],
  async apply(stored: StoredEvent, tx: pg.PoolClient): Promise<void> {
    const event = stored as unknown as EnvironmentEvent;
    const at = event.type === 'EnvironmentDefined' ? event.data.definedAt : event.data.updatedAt;
    const { name, rank, description, policy } = event.data;
    await tx.query(
      `INSERT INTO rm_environments (name, rank, description, policy, defined_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
       ON CONFLICT (name) DO UPDATE SET rank = $2, description = $3, policy = $4, updated_at = $5`,
      [name, rank, description, JSON.stringify(policy), at],
    );
  },
};
