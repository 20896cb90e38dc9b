/** Injection tokens for ports and shared resources; adapters are bound to these in modules. */
export const EVENT_STORE = Symbol('EventStore');
export const PG_POOL = Symbol('PgPool');
export const CLOCK = Symbol('Clock');
export const CIRCLE_CONFIG = Symbol('CircleConfig');
export const LOGGER = Symbol('Logger');
export const EVENT_TRANSPORT = Symbol('EventTransport');
/** Every EventHandler the worker subscribes to the transport (an array, see TransportModule). */
export const EVENT_HANDLERS = Symbol('EventHandlers');
/** The CircleMetrics of this circle (shared by the API and worker when they run in one process). */
export const METRICS = Symbol('CircleMetrics');
