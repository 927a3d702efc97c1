/** Bump MODEL_VERSION whenever simulated behaviour changes (goldens are keyed by it). */
export const MODEL_VERSION = '4'
export const ISRSIM_VERSION = '0.1.0'
