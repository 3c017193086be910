// Errors the client raises. Every non-2xx answer of the server becomes an ApiError carrying
// Coder's envelope ({message, detail?, validations?}) and the HTTP status, so callers branch on
// `err.status` and show `err.message`/`err.detail` as the server wrote them.

export interface ValidationError {
  field: string;
  detail: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** The HTTP status of the answer. */
  readonly status: number;
  /** The server's `detail`, when it gave one. */
  readonly detail?: string;
  /** Per-field validation failures, when the server gave them. */
  readonly validations: ValidationError[];
  readonly method: string;
  readonly url: string;

  constructor(init: {
    status: number;
    message: string;
    detail?: string;
    validations?: ValidationError[];
    method: string;
    url: string;
  }) {
    super(init.message);
    this.status = init.status;
    if (init.detail !== undefined && init.detail !== '') this.detail = init.detail;
    this.validations = init.validations ?? [];
    this.method = init.method;
    this.url = init.url;
  }

  /** The message, its detail and each validation, one per line: what a person needs to see. */
  describe(): string {
    const lines = [this.message];
    if (this.detail) lines.push(this.detail);
    for (const v of this.validations) lines.push(v.field ? `${v.field}: ${v.detail}` : v.detail);
    return lines.join('\n');
  }
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

/** The request never got an HTTP answer (connection refused, DNS, aborted...). */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  readonly url: string;

  constructor(url: string, cause: unknown) {
    const reason = cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause);
    super(`Could not reach ${url}: ${reason}`, { cause });
    this.url = url;
  }
}
