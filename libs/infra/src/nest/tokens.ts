/** Injection tokens for ports and shared resources; adapters are bound to these in modules. */
export const EVENT_STORE = Symbol('EventStore');
export const PG_POOL = Symbol('PgPool');
export const CLOCK = Symbol('Clock');
export const CIRCLE_CONFIG = Symbol('CircleConfig');
export const LOGGER = Symbol('Logger');
