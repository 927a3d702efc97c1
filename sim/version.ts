/** Bump MODEL_VERSION whenever simulated behaviour changes (goldens are keyed by it). */
export const MODEL_VERSION = '5'
export const ISRSIM_VERSION = '0.1.0'
