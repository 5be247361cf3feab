/**
 * A principal's standing as the limiter object decides it and D1's listing records it: active, or
 * suspended (DESIGN "Default limits": a honeytoken ask, ten out-of-scope asks in an hour, or ops).
 * Declared once: the store, the routes' schemas and the listing import it.
 */
export const PRINCIPAL_STATUSES = ["active", "suspended"] as const;
export type PrincipalStatus = (typeof PRINCIPAL_STATUSES)[number];
