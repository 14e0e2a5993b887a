// The MPLS half of the VPP port: table 0, label entries (mpls_route_add_del, the API source:
// VPP's message has no source field), their dump, and MPLS input per interface.
import type { MessageDef, VppClient } from 'vpp-binapi-ts';
import type { FibPath } from 'vpp-binapi-ts/gen';
import { pathFields, pathFromFields } from '../vpp/vpp-fields.js';
import type { MplsPort, VppLspSpec, VppPath } from '../vpp/vpp-port.js';

export const MPLS_MESSAGES = ['mpls_table_add_del', 'mpls_route_add_del', 'mpls_route_dump', 'sw_interface_set_mpls_enable'] as const;

/** Labels 0-15 are reserved (RFC 3032): VPP's own entries (explicit null, router alert) live there. */
export const FIRST_UNRESERVED_LABEL = 16;
const TABLE = { mt_table_id: 0, mt_name: '' };
/** dpo_proto of an EOS entry's payload: what the packet is once the last label is popped. */
const EOS_PROTO = { 4: 0, 6: 1 } as const;

/** The fields of each MPLS request fibmgr sends (VPP and the dry run encode the same ones). */
export const mplsRequests = {
  /** mpls_table_add_del: MPLS table 0, before any label. */
  table: () => ({ mt_is_add: true, mt_table: TABLE }),
  /** mpls_route_add_del: one label entry installed or replaced (paths), or deleted (null). */
  route(label: number, eos: boolean, paths: readonly VppPath[] | null) {
    const mrPaths = (paths ?? []).map(pathFields);
    return {
      mr_is_add: paths !== null,
      mr_is_multipath: false,
      mr_route: {
        mr_table_id: 0, mr_label: label, mr_eos: eos ? 1 : 0,
        mr_eos_proto: eos && paths && paths.length > 0 ? EOS_PROTO[paths[0]!.proto] : 0,
        mr_is_multicast: false, mr_n_paths: mrPaths.length, mr_paths: mrPaths,
      },
    };
  },
  /** sw_interface_set_mpls_enable: MPLS input on one interface. */
  enable: (swIfIndex: number) => ({ sw_if_index: swIfIndex, enable: true }),
};

export class VppMpls implements MplsPort {
  constructor(private readonly c: VppClient, private readonly def: (name: string) => MessageDef) {}

  async prepare(): Promise<VppLspSpec[]> {
    await this.c.request(this.def('mpls_table_add_del'), mplsRequests.table());
    return this.read();
  }

  async read(): Promise<VppLspSpec[]> {
    const details = await this.c.dump<any, any>(this.def('mpls_route_dump'), { table: TABLE });
    const out: VppLspSpec[] = [];
    for (const d of details) {
      const r = d.mr_route;
      if (Number(r.mr_label) < FIRST_UNRESERVED_LABEL) continue;
      const paths: VppPath[] = [];
      for (const p of r.mr_paths as FibPath[]) {
        const path = pathFromFields(p, 4);
        // a path kind fibmgr never writes: kept as a drop, so that the diff replaces it
        paths.push(path ?? { kind: 'drop', proto: 4, gateway: null, swIfIndex: 0xffffffff, weight: 0, labels: [] });
      }
      out.push({ label: Number(r.mr_label), eos: Number(r.mr_eos) !== 0, paths });
    }
    return out;
  }

  async write(label: number, eos: boolean, paths: readonly VppPath[] | null): Promise<void> {
    await this.c.request(this.def('mpls_route_add_del'), mplsRequests.route(label, eos, paths));
  }

  async enable(swIfIndex: number): Promise<void> {
    await this.c.request(this.def('sw_interface_set_mpls_enable'), mplsRequests.enable(swIfIndex));
  }
}
