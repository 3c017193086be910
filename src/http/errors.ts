// The error envelope of Coder's API: every error answer is {message, detail?, validations?}.
export interface ValidationError {
  field: string;
  detail: string;
}

export interface ResponseBody {
  message: string;
  detail?: string;
  validations?: ValidationError[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly body: ResponseBody;

  constructor(status: number, message: string, detail?: string, validations?: ValidationError[]) {
    super(message);
    this.status = status;
    this.body = { message };
    if (detail !== undefined) this.body.detail = detail;
    if (validations !== undefined) this.body.validations = validations;
  }
}

export const Messages = {
  notFound: 'Resource not found or you do not have access to this resource',
  forbidden: 'Forbidden.',
  forbiddenDetail:
    "You don't have permission to view this content. If you believe this is a mistake, please contact your administrator or try signing in with different credentials.",
  routeNotFound: 'Route not found.',
  invalidJson: 'Request body must be valid JSON.',
  validationFailed: 'Validation failed.',
  invalidQuery: 'Query parameters have invalid values.',
  internal: 'An internal error occurred. Please try again or contact the system administrator.',
  internalServer: 'An internal server error occurred.',
  signedOut: 'You are signed out or your session has expired. Please sign in again to continue.',
} as const;

export const notFound = (): ApiError => new ApiError(404, Messages.notFound);
export const forbidden = (): ApiError => new ApiError(403, Messages.forbidden, Messages.forbiddenDetail);
export const badRequest = (message: string, detail?: string, validations?: ValidationError[]): ApiError =>
  new ApiError(400, message, detail, validations);
export const conflict = (message: string, detail?: string, validations?: ValidationError[]): ApiError =>
  new ApiError(409, message, detail, validations);
export const internalError = (message: string, err?: unknown): ApiError =>
  new ApiError(500, message, err instanceof Error ? err.message : err === undefined ? undefined : String(err));
export const invalidQuery = (validations: ValidationError[]): ApiError =>
  new ApiError(400, Messages.invalidQuery, undefined, validations);
export const unauthorized = (detail: string, message: string = Messages.signedOut): ApiError =>
  new ApiError(401, message, detail);
