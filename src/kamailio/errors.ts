import { AuthringError } from '../errors.js';

/**
 * A Kamailio or nutcracker configuration cannot be generated from the given cluster config and
 * options (a signed codec Kamailio cannot read, a group name or key prefix that cannot be written
 * into a Kamailio string, an IPv6 listen address the memcached module cannot parse, ...). The
 * message names the offending value and what to change.
 */
export class KamailioConfigError extends AuthringError {
  /** @see AuthringError.code */
  static readonly code = 'E_KAMAILIO_CONFIG';
  /** The option or config field at fault, e.g. `groups[1]` or `cache.codec`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(KamailioConfigError.code, `${field}: ${message}`);
    this.field = field;
  }
}
