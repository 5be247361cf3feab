/**
 * An in-memory timer that fires once at the earliest moment asked of it: asking for a later moment
 * leaves an earlier one be, asking for an earlier one moves it. It goes with the object's instance,
 * so what it stands for must also be durable elsewhere (a limiter's alarm, a limiter's outbox).
 */
export class EarliestTimer {
	private timer: ReturnType<typeof setTimeout> | null = null;
	private due: number | null = null;

	constructor(private readonly fire: () => void) {}

	/** Fires at `at` unless already set to fire no later. */
	at(at: number): void {
		if (this.due !== null && this.due <= at) return;
		if (this.timer !== null) clearTimeout(this.timer);
		this.due = at;
		this.timer = setTimeout(
			() => {
				this.timer = null;
				this.due = null;
				this.fire();
			},
			Math.max(0, at - Date.now()),
		);
	}
}
