import type { IncomingMessage } from 'node:http';
import { ApiError } from './http.js';

/** Every API call carries `Authorization: Bearer <token>`; anything else is 401. */
export class BearerAuth {
  constructor(private token: string) {}

  /**
   * Regenerates the workspace's access token, as an admin does in the Developer Hub when a token
   * leaks: every request with the old token is refused (401) from now on.
   */
  rotate(newToken: string): void {
    this.token = newToken;
  }

  check(req: IncomingMessage): void {
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      throw new ApiError(401, 'unauthorized', 'Access Token Invalid');
    }
  }
}
