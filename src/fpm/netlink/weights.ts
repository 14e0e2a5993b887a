// Which convention the sender used for rtnh_hops in RTA_MULTIPATH. dplane_fpm_nl writes the
// kernel's (weight − 1); the legacy zebra_fpm module writes the weight itself (0 when unset).
//
// 'auto' decides per session from evidence only dplane_fpm_nl produces, or only the legacy one:
//  - kernel, for good: any RTM_NEWNEXTHOP/RTM_DELNEXTHOP, any RTA_NH_ID, or an rtm_protocol other
//    than 0, 2 (kernel/connected) and 11 (zebra): the legacy module only ever writes 2 and 11;
//  - legacy, until kernel evidence appears: rtm_protocol 11, which the legacy module uses for
//    every non-kernel route, while dplane_fpm_nl uses per-daemon values (196 static, 186 bgp…)
//    and 11 only for route types with no value of their own.
//  - no evidence yet: kernel convention, the current module's. Hops 0 reads as weight 1 in both
//    conventions, so the guess only matters for a weighted multipath route of protocol 2 arriving
//    before any other route, which neither module produces at the start of its replay.
import type { WeightConverter } from './route.js';

export type WeightMode = 'auto' | 'kernel' | 'legacy';

const kernelWeight: WeightConverter = (hops) => hops + 1;
const legacyWeight: WeightConverter = (hops) => (hops === 0 ? 1 : hops);

export class WeightConvention {
  private evidence: 'none' | 'legacy' | 'kernel' = 'none';
  convert: WeightConverter;

  constructor(readonly mode: WeightMode = 'auto') {
    this.convert = mode === 'legacy' ? legacyWeight : kernelWeight;
  }

  /** dplane_fpm_nl proved by the stream (whatever the mode): it reads route notifications back. */
  get dplaneFpmNl(): boolean {
    return this.evidence === 'kernel';
  }

  /** The convention in force: the forced one, or what the evidence so far says. */
  get current(): 'kernel' | 'legacy' {
    return this.convert === legacyWeight ? 'legacy' : 'kernel';
  }

  nexthopMessage(): void {
    this.proveKernel();
  }

  /** Before a route's next hops are read: its rtm_protocol. */
  routeProtocol(protocol: number): void {
    if (this.evidence === 'kernel') return;
    if (protocol === 11) {
      this.evidence = 'legacy';
      if (this.mode === 'auto') this.convert = legacyWeight;
    } else if (protocol !== 0 && protocol !== 2) this.proveKernel();
  }

  routeNexthopId(): void {
    this.proveKernel();
  }

  private proveKernel(): void {
    if (this.evidence === 'kernel') return;
    this.evidence = 'kernel';
    if (this.mode === 'auto') this.convert = kernelWeight;
  }
}
