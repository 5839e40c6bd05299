import type { MapReader } from '../reader.js';

/** `metrics:` */
export interface MetricsConfig {
  /** `prefix`: prepended to every metric name; a Prometheus name prefix. @default 'authring_' */
  readonly prefix: string;
}

/** Defaults of `metrics:`. */
export const METRICS_DEFAULTS: MetricsConfig = { prefix: 'authring_' };

/** The keys of `metrics:`. */
export const METRICS_KEYS = ['prefix'];

/** Reads and checks `metrics:`. */
export function readMetrics(section: MapReader<string>): MetricsConfig {
  const prefix = section.string('prefix', (v) =>
    /^(?:[A-Za-z_:][A-Za-z0-9_:]{0,63})?$/.test(v) ? undefined : 'a Prometheus metric name prefix ([A-Za-z_:][A-Za-z0-9_:]*)',
  );
  return { prefix: prefix ?? METRICS_DEFAULTS.prefix };
}
