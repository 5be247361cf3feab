/**
 * A Durable Object's one alarm, set for the earliest moment asked of it: asking for a later moment
 * leaves an earlier one be, so a busy object's stream of asks never pushes its alarm out of reach,
 * and only an earlier moment costs a write. The durable counterpart of `EarliestTimer`: it outlives
 * the instance, which is why the moment it is set for is read back when an instance starts.
 */
export class EarliestAlarm {
	/** When the alarm is set for, as this instance knows it; null: none is set. */
	private due: number | null = null;

	constructor(private readonly storage: DurableObjectStorage) {}

	/**
	 * Reads the alarm an earlier instance set. Call once, before the object takes its first call
	 * (inside `blockConcurrencyWhile` in its constructor): until then an ask could push it later.
	 */
	async load(): Promise<void> {
		this.due = await this.storage.getAlarm();
	}

	/** The alarm is running: none is set until asked for again. */
	fired(): void {
		this.due = null;
	}

	/** Nothing needs the alarm any more: it is taken off (a write), unless none is set. */
	clear(): void {
		if (this.due === null) return;
		this.due = null;
		void this.storage.deleteAlarm();
	}

	/** Sets the alarm for `at` unless it is already set no later. */
	at(at: number): void {
		if (this.due !== null && this.due <= at) return;
		this.due = at;
		void this.storage.setAlarm(at);
	}
}
