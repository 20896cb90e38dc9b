import pg from 'pg';

export interface PoolOptions {
  databaseUrl: string;
  max?: number;
  applicationName?: string;
}

export function createPool({ databaseUrl, max = 20, applicationName = 'circle' }: PoolOptions): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, application_name: applicationName });
  // An idle client losing its connection (database restart) must not crash the process;
  // the next query gets a fresh connection or a clear error.
  pool.on('error', () => undefined);
  // A client that is checked out but between queries (a held advisory lock, an open
  // transaction, a LISTEN) gets the server's "terminating connection" as an 'error'
  // event, and pg-pool listens only on idle clients: without a listener of our own a
  // database restart kills the whole process. The client is unusable afterwards: its
  // holder's next query fails, and pg-pool destroys it on release instead of reusing it.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Runs `work` in a transaction, rolling back on any error. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
