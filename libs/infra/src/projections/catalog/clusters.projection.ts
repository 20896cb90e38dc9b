import type pg from 'pg';
import type { ClusterEvent, StoredEvent } from '#domain';
import type { Projection } from '../projection.js';

export const clustersProjection: Projection = {
  name: 'catalog.clusters',
  eventTypes: ['ClusterRegistered', 'ClusterLabelsUpdated', 'ClusterCordoned', 'ClusterUncordoned', 'ClusterRemoved'],
  async apply(stored: StoredEvent, tx: pg.PoolClient): Promise<void> {
    const event = stored as unknown as ClusterEvent;
    switch (event.type) {
      case 'ClusterRegistered': {
        const d = event.data;
        await tx.query(
          `INSERT INTO rm_clusters (name, environment, region, labels, connection, status, cordon_reason, registered_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, 'active', NULL, $6, $6)
           ON CONFLICT (name) DO UPDATE SET environment = $2, region = $3, labels = $4, connection = $5,
             status = 'active', cordon_reason = NULL, registered_at = $6, updated_at = $6`,
          [d.name, d.environment, d.region, JSON.stringify(d.labels), JSON.stringify(d.connection), d.registeredAt],
        );
        return;
      }
      case 'ClusterLabelsUpdated':
        await tx.query('UPDATE rm_clusters SET labels = $2, updated_at = $3 WHERE name = $1', [
          event.data.name,
          JSON.stringify(event.data.labels),
          event.data.updatedAt,
        ]);
        return;
      case 'ClusterCordoned':
        await tx.query(`UPDATE rm_clusters SET status = 'cordoned', cordon_reason = $2, updated_at = $3 WHERE name = $1`, [
          event.data.name,
          event.data.reason,
          event.data.cordonedAt,
        ]);
        return;
      case 'ClusterUncordoned':
        await tx.query(`UPDATE rm_clusters SET status = 'active', cordon_reason = NULL, updated_at = $2 WHERE name = $1`, [
          event.data.name,
          event.data.uncordonedAt,
        ]);
        return;
      case 'ClusterRemoved':
        // Removed clusters leave the catalog; their history stays in the log.
        await tx.query('DELETE FROM rm_clusters WHERE name = $1', [event.data.name]);
        return;
      default:
        return;
    }
  },
};
