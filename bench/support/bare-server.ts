/**
 * The baseline for the API's trivial GET: a bare node:http server answering every request
 * with the same JSON body the API returns (argv[3]) on port argv[2]. It runs as a process
 * of its own, like the API, so both are measured the same way.
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const body = Buffer.from(process.argv[3] ?? '{}');
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening on ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
