import { transportContract } from './transport-contract.js';

transportContract({
  kind: 'postgres-log',
  partitions: 6,
  settings: () => ({}),
  childEnv: () => ({}),
  async redeliver(db, group) {
    await db.pool.query('UPDATE transport_checkpoints SET position = 0 WHERE group_name = $1', [group]);
  },
});
