/**
 * The configured privacy-number provider. A second provider is one adapter file in this folder,
 * its variant of the TELEPHONY schema in config.ts, and one case here.
 */
import { type TelephonyConfig, telephonyConfig } from "../config";
import type { Env } from "../env";
import { AliyunDypls } from "./aliyun-dypls";
import type { TelephonyProvider } from "./telephony-provider";

export function telephonyProviderFor(config: TelephonyConfig): TelephonyProvider {
	switch (config.provider) {
		case "aliyun":
			return new AliyunDypls(config);
	}
}

/** Throws the configuration-unavailable problem (503 naming TELEPHONY) when the secret is missing or malformed. */
export function telephonyProvider(env: Env): TelephonyProvider {
	return telephonyProviderFor(telephonyConfig(env));
}
