import type pg from 'pg';
import type { ReleaseEvent, StoredEvent } from '#domain';
import type { Projection } from '../projection.js';

export const releasesProjection: Projection = {
  name: 'catalog.releases',
  eventTypes: ['ReleaseRegistered'],
  async apply(stored: StoredEvent, tx: pg.PoolClient): Promise<void> {
    const { data } = stored as unknown as ReleaseEvent;
    await tx.query(
      `INSERT INTO rm_releases (application, version, images, git_commit, notes, created_by, created_at, position)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (application, version) DO NOTHING`,
      [
        data.application,
        data.version,
        JSON.stringify(data.images),
        data.gitCommit ?? null,
        data.notes ?? null,
        data.createdBy,
        data.createdAt,
        stored.globalPosition,
      ],
    );
  },
};
