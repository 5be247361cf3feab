import type { Principal } from "../auth/principal";
import type { Env } from "../env";
import type { Services } from "./services";

/** Hono's environment for every route: the worker bindings and what middleware learned. */
export interface AppEnv {
	Bindings: Env;
	Variables: {
		principal: Principal;
		services: Services;
	};
}
