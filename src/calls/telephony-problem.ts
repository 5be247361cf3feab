/**
 * A provider failure as the calls routes answer it: 503 when trying later may work (provider down,
 * no number free), 502 when the provider said no (a refusal, or the vault's own TELEPHONY is
 * wrong). The problem names the provider and its code, never a number; nothing falls back to the
 * plaintext phone.
 */
import { ProblemError } from "../http/problem";
import type { ProblemSlug } from "../http/problem-types";
import type { TelephonyError, TelephonyFailure } from "./telephony-provider";

const SLUGS: Record<TelephonyFailure, ProblemSlug> = {
	unavailable: "telephony-unavailable",
	"no-number": "telephony-no-number",
	refused: "telephony-refused",
	configuration: "telephony-misconfigured",
};

export function telephonyProblem(error: TelephonyError, headers: Record<string, string> = {}): ProblemError {
	const extensions: Record<string, unknown> = { provider: error.provider };
	if (error.providerCode !== undefined) extensions.provider_code = error.providerCode;
	if (error.failure === "configuration") extensions.variable = "TELEPHONY";
	return new ProblemError(SLUGS[error.failure], { extensions, cause: error, headers });
}
