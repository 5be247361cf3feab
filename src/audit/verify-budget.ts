import { ROW_SCAN_QUERY_BOUND } from "../integrity/row-scan";
import { SEAL_PAGES_PER_CALL } from "./log";

/**
 * How much one verification may read, so that it fits D1's limit of 1,000 queries per Worker
 * invocation (each `prepare().all()/first()/run()` and each `batch()` is one round trip) at any
 * size of the chain. Verification resumes where the last one stopped instead of walking from the
 * genesis every time.
 */

/** Entries per range query while walking the chain. */
export const VERIFY_PAGE = 1000;

/** Pages one `GET /v1/audit/verify` walks at most: 20,000 entries past the last verified checkpoint. */
export const VERIFY_PAGES_PER_REQUEST = 20;

/** Pages one slice of the full re-verification walks (one slice per every-minute cron run). */
export const FULL_PAGES_PER_SLICE = 40;

/** How many of the witness's newest heads, checkpoints and segments each request spot-checks in D1. */
export const WITNESS_RECENT = 32;

/**
 * D1 round trips of one `GET /v1/audit/verify`, at most:
 * - sealing first: the head, then two per page (read, write) for up to SEAL_PAGES_PER_CALL pages,
 *   one to store the checkpoints due, one for the witness's anchor (only ever once), and one more
 *   head when the seal could not run: 4 + 2 × 10 = 24;
 * - the walk: the checkpoints of its range and VERIFY_PAGES_PER_REQUEST pages: 21;
 * - spot checks against the witness (hashes, checkpoints) and the probe past the head: 3.
 * 48 in all. The witness is one Durable Object call before the walk, one for the walk's range and
 * one to save progress, plus those of the seal (two at most, three with its checkpoints).
 */
export const VERIFY_QUERY_BOUND = 4 + 2 * SEAL_PAGES_PER_CALL + (1 + VERIFY_PAGES_PER_REQUEST) + 3;

/**
 * D1 round trips of one full re-verification slice: the state's head (starting only), checkpoints,
 * pages; and the row scan's (src/integrity/row-scan.ts: ROW_SCAN_QUERY_BOUND, its pages and one
 * batch of alerts).
 */
export const FULL_SLICE_QUERY_BOUND = 1 + 1 + FULL_PAGES_PER_SLICE + ROW_SCAN_QUERY_BOUND;
