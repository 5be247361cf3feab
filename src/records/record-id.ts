const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

function base32(bytes: Uint8Array): string {
	let bits = 0;
	let value = 0;
	let out = "";
	for (const byte of bytes) {
		value = (value << 8) | byte;
		bits += 8;
		while (bits >= 5) {
			out += CROCKFORD[(value >>> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0) out += CROCKFORD[(value << (5 - bits)) & 31];
	return out;
}

/**
 * `rec_` + 48-bit millisecond time + 80 random bits, Crockford base32 (26 characters). The time
 * prefix lets a shard router place a record by day without a lookup, and keeps ids sortable.
 */
export function newRecordId(now: number): string {
	const bytes = new Uint8Array(16);
	let time = now;
	for (let i = 5; i >= 0; i--) {
		bytes[i] = time % 256;
		time = Math.floor(time / 256);
	}
	crypto.getRandomValues(bytes.subarray(6));
	return `rec_${base32(bytes)}`;
}

export const RECORD_ID_PATTERN = /^rec_[0-9a-hjkmnp-tv-z]{26}$/;
