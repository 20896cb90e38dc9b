import type { FastifyReply } from 'fastify';

/** Every command answer says which log position it produced, and where to find the resource. */
export function describeWrite(reply: FastifyReply, position: number, location?: string): void {
  void reply.header('x-circle-position', String(position));
  if (location) void reply.header('location', location);
}
