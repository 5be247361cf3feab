import { z } from "@hono/zod-openapi";

/**
 * The person a row of an ops table is about, in the fields every such row names them by: the pair
 * (issuer, subject), the issuer's alias that `?issuer=` takes, and the role and depot their asks
 * carried (null for a service). Spread into the row's object, so the document keeps one inline shape.
 */
export const principalFields = {
	issuer: z.string(),
	issuer_alias: z.string(),
	subject: z.string(),
	role: z.string().nullable(),
	depot: z.string().nullable(),
};
