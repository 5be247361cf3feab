import { authorize } from "./auth";

/**
 * Ops calls (policies, principals, alerts, audit, honeytokens) are for ops principals only: a token
 * with `ops` and no employee claims. A depot employee never reaches them, whatever their token
 * says, so an insider cannot lift their own suspension, raise their own limits or list the traps.
 */
export const opsOnly = () => authorize({ service: ["ops"] });
