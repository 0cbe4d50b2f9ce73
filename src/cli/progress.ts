import cliProgress from 'cli-progress';

export interface ProgressReporter {
  /** `done` of `total` (unknown while a listing is still being read). */
  update(done: number, total?: number): void;
  stop(): void;
}

const PLAIN_PROGRESS_INTERVAL_MS = 2000;

/**
 * A progress bar on stderr when a person is watching, otherwise a plain line at most every two
 * seconds, so CI logs stay readable. `label` names what is counted, e.g. `documents`.
 */
export function progressReporter(command: string, label: string): ProgressReporter {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (done, total) => {
        const known = total ?? Math.max(done, 1);
        if (!started) {
          bar.start(known, done);
          started = true;
        } else {
          bar.setTotal(Math.max(known, done));
        }
        bar.update(done);
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let lastPrinted = 0;
  return {
    update: (done, total) => {
      const now = Date.now();
      if (now - lastPrinted < PLAIN_PROGRESS_INTERVAL_MS) return;
      lastPrinted = now;
      console.error(`${command}: ${done}${total === undefined ? '' : `/${total}`} ${label}`);
    },
    stop: () => undefined,
  };
}
