// A progress bar on stderr, drawn only when stderr is a terminal: piped output and logs stay clean.
export interface Progress {
  tick(label: string): void;
  done(): void;
}

export function progressBar(total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || total < 2) return { tick: () => undefined, done: () => undefined };
  const width = 24;
  let count = 0;
  let lastDraw = 0;
  const draw = (label: string) => {
    const filled = Math.round((count / total) * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const text = `${bar} ${count}/${total} ${label}`;
    const columns = stream.columns || 80;
    stream.write(`\r\x1b[2K${text.length > columns - 1 ? text.slice(0, columns - 1) : text}`);
  };
  draw('');
  return {
    tick(label) {
      count++;
      const now = Date.now();
      // At most ~20 redraws a second, and always the last one.
      if (now - lastDraw >= 50 || count === total) {
        lastDraw = now;
        draw(label);
      }
    },
    done() {
      stream.write('\r\x1b[2K');
    },
  };
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
