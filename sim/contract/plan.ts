/** `isrsim plan`: what the live load test replays. Types only. */

/**
 * What a live load test replays (`isrsim plan`): the exact requests and on-demand calls of
 * replication 0, so that k6 sends what the simulator assumed. Read by loadtest/ only.
 */
export interface RequestPlan {
  readonly planVersion: 1
  readonly scenario: { readonly name: string; readonly hash: string; readonly durationS: number; readonly warmupS: number }
  readonly seed: string
  readonly next: { readonly version: string }
  /** The scenario itself, with defaults filled in: the app generator and the origin read it. */
  readonly spec: PlanScenario
  readonly routes: readonly PlanRoute[]
  /** On-demand calls and data-change webhooks in time order (k6 sends them to the app). */
  readonly onDemand: readonly PlanCall[]
  /** Origin data changes in time order: the origin bumps each key's version at atMs. */
  readonly dataChanges: readonly PlanDataChange[]
}

export interface PlanDataChange {
  readonly atMs: number
  readonly keys: readonly { readonly fetch: string; readonly key: number }[]
}

export interface PlanRoute {
  readonly id: string
  readonly pattern: string
  /** "uniform": k6 constant-arrival-rate at rps; "replay": k6 sends each request at atMs. */
  readonly executor: 'uniform' | 'replay'
  readonly rps: number
  /** The URL of each request, in order: the real URL (params.paths) where the path has one. */
  readonly paths: readonly string[]
  /** Request times, ms since the start (replay only; uniform requests go at i / rps). */
  readonly atMs?: readonly number[]
  /** How many of the route's paths have a real URL: params.paths (capped at params.count); 1 for a route without params (its URL is its pattern). */
  readonly realPaths: number
  /** Requests in `paths` to URLs the scenario made up: one-off unknown paths and path indexes past params.paths ("/blog/7"). A load test of a real deployment should not send them. */
  readonly syntheticRequests: number
  /**
   * Who sends the route's requests (routes with traffic.crawlers only): agents[0] is "human"
   * (rps, unknown paths, schedule), agents[1 + c] the name of traffic.crawlers[c]. k6 sends each
   * with a user agent built from it, so that a log of the run finds the crawlers again.
   */
  readonly agents?: readonly string[]
  /** Per request, in `paths` order: its index in `agents`. */
  readonly agent?: readonly number[]
  /** Per request, in `paths` order: the instance the model's load balancer sent it to (deployment.instances > 1 only). */
  readonly instance?: readonly number[]
  /** Per request, in `paths` order: the CDN point of presence the model sent it to (deployment.cdn.pops > 1 only, §16). */
  readonly pop?: readonly number[]
}

export interface PlanCall {
  readonly atMs: number
  readonly kind: 'revalidateTag' | 'revalidatePath' | 'updateTag' | 'res.revalidate'
  readonly tag?: string
  readonly path?: string
  readonly type?: 'page' | 'layout'
  readonly profile?: 'max' | { readonly expireS: number }
  /** Who receives it (deployment.instances > 1 only): the instance named, every instance, or the one the load balancer picks. */
  readonly target?: 'instance' | 'all' | 'balancer'
  /** The instance named (target "instance"). */
  readonly instance?: number
}

/** The parts of a parsed scenario the live suite needs (a structural subset of Scenario). */
export interface PlanScenario {
  readonly name: string
  readonly durationS: number
  readonly routes: readonly {
    readonly id: string
    readonly pattern: string
    readonly revalidateS: number | false
    readonly dynamic: boolean
    readonly layouts: readonly { readonly revalidateS?: number | false | undefined; readonly dynamic: boolean }[]
    readonly fetches: readonly { readonly id: string; readonly revalidateS?: number | false | undefined; readonly tags: readonly string[]; readonly latencyS: number; readonly failureRate: number; readonly perPath?: boolean | undefined }[]
    readonly params?: { readonly count: number; readonly prebuilt?: number | undefined; readonly dynamicParams: boolean; readonly paths?: readonly string[] | undefined } | undefined
    readonly renderS: number | { readonly lognormal: { readonly medianS: number; readonly p95S: number } }
    readonly failureRate: number
    readonly traffic: { readonly rps: number; readonly arrivals: 'poisson' | 'uniform'; readonly unknownRate: number }
  }[]
  readonly outages: readonly { readonly fromS: number; readonly toS: number; readonly failureRate: number; readonly routes?: readonly string[] | undefined }[]
}
