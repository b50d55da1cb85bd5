/**
 * `scheduleFromConfig`: the inverse of `schedule.config` (plain JSON), so that weight files and experiment configs
 * can store a schedule and rebuild it.
 */
import { checkChoice, invalidOption } from '../core/validate.js';
import type { NoiseSchedule, ScheduleConfig } from './schedule.js';
import { vpSchedule, type VpScheduleOptions } from './vpSchedule.js';
import { veSchedule, type VeScheduleOptions } from './veSchedule.js';

/** The schedule a `config` describes (`vpSchedule` / `veSchedule` with the stored options). */
export function scheduleFromConfig(config: ScheduleConfig): NoiseSchedule {
  const fn = 'scheduleFromConfig';
  if (config == null || typeof config !== 'object') invalidOption(fn, 'config', config, 'a schedule config { kind: "vp" | "ve", ... }');
  const kind = checkChoice(fn, 'config.kind', (config as { kind: unknown }).kind, ['vp', 've'] as const);
  const { kind: _kind, ...options } = config;
  return kind === 'vp' ? vpSchedule(options as VpScheduleOptions) : veSchedule(options as VeScheduleOptions);
}
