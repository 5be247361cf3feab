/** Starts the vault and the baseline with `wrangler dev` on free loopback ports, sharing one local D1. */
import { freshDatabase as freshDatabaseIn, type Server, startWorker as startWorkerIn } from "../../scripts/lib/wrangler-dev.ts";

export type { Server };
export const BENCH_STATE = ".wrangler/bench-state";

export const freshDatabase = (): void => freshDatabaseIn(BENCH_STATE);

export const startWorker = (configPath: string, vars: Record<string, string>, localObservability: boolean): Promise<Server> =>
	startWorkerIn({ configPath, stateDir: BENCH_STATE, vars, requireHealthy: !configPath.includes("baseline"), localObservability });
