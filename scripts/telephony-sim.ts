/**
 * The local privacy-number provider simulator on its own (scripts/lib/telephony-simulator.ts):
 * `node scripts/telephony-sim.ts`, port from TELEPHONY_SIM_PORT (default 8790). Prints the
 * TELEPHONY secret that points a vault at it; credentials come from TELEPHONY_SIM_ACCESS_KEY_ID,
 * TELEPHONY_SIM_ACCESS_KEY_SECRET and TELEPHONY_SIM_POOL_KEY, or are made up.
 */
import { startTelephonySimulator } from "./lib/telephony-simulator.ts";

const port = Number(process.env.TELEPHONY_SIM_PORT ?? "8790");
if (!Number.isInteger(port) || port < 0 || port > 65535) {
	console.error("TELEPHONY_SIM_PORT must be a port number");
	process.exit(2);
}
const simulator = await startTelephonySimulator({
	port,
	accessKeyId: process.env.TELEPHONY_SIM_ACCESS_KEY_ID || undefined,
	accessKeySecret: process.env.TELEPHONY_SIM_ACCESS_KEY_SECRET || undefined,
	poolKey: process.env.TELEPHONY_SIM_POOL_KEY || undefined,
});
// The server is unref'd for embedding; standing alone it is the process's only work.
simulator.server.ref();
console.log(`telephony simulator (Dyplsapi 2017-05-25) on ${simulator.url}; control under ${simulator.url}/_sim/`);
console.log(`TELEPHONY='${simulator.telephony}'`);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void simulator.close().then(() => process.exit(0)));
