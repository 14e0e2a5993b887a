// --dry-run's MPLS table: each LSP request VppMpls would send (the same fields, mplsRequests) is
// encoded by the generated message, read back by its decoder and logged, one line each, as the
// dry-run port does for routes. There is no VPP: the table starts empty and cannot be read back.
import type { MessageDef } from 'vpp-binapi-ts';
import type { Logger } from '../../log.js';
import { mplsRequests } from '../mpls/vpp-mpls.js';
import type { MplsPort, VppLspSpec, VppPath } from '../vpp/vpp-port.js';

export interface DryRunMplsCounts {
  /** Label entries (EOS and non-EOS count apart) that would be added or replaced, and deleted. */
  lspReplace: number;
  lspRemove: number;
  /** Interfaces MPLS input would be enabled on. */
  mplsEnable: number;
}

export class DryRunMpls implements MplsPort {
  readonly counts: DryRunMplsCounts = { lspReplace: 0, lspRemove: 0, mplsEnable: 0 };

  constructor(
    private readonly log: Logger,
    private readonly def: (name: string) => MessageDef,
    /** A VPP interface's name for the log (the interface map's), else its sw_if_index. */
    private readonly vppName: (swIfIndex: number) => string,
  ) {}

  async prepare(): Promise<VppLspSpec[]> {
    this.logged('mpls_table_add_del', mplsRequests.table(), 'would create MPLS table 0 and dump its labels (none)');
    return [];
  }

  async read(): Promise<VppLspSpec[]> {
    throw new Error('dry run: there is no VPP whose MPLS table could be read');
  }

  async write(label: number, eos: boolean, paths: readonly VppPath[] | null): Promise<void> {
    const entry = `${label} ${eos ? 'eos' : 'non-eos'}`;
    if (paths) {
      this.counts.lspReplace++;
      const via = paths.map((p) => `${p.kind === 'normal' ? p.gateway ?? 'dev' : p.kind}${p.swIfIndex !== 0xffffffff ? ` ${this.vppName(p.swIfIndex)}` : ''} ${p.labels.length ? `push ${p.labels.join('/')}` : 'pop'}`).join(', ');
      this.logged('mpls_route_add_del', mplsRequests.route(label, eos, paths), `would add label ${entry} via ${via}`, { label, eos });
    } else {
      this.counts.lspRemove++;
      this.logged('mpls_route_add_del', mplsRequests.route(label, eos, null), `would delete label ${entry}`, { label, eos });
    }
  }

  async enable(swIfIndex: number): Promise<void> {
    this.counts.mplsEnable++;
    this.logged('sw_interface_set_mpls_enable', mplsRequests.enable(swIfIndex), `would enable MPLS input on ${this.vppName(swIfIndex)}`);
  }

  /** Encodes the request as VPP would be sent it, and logs its decoded fields (an encoding error rejects, as a refusal would). */
  private logged(name: string, request: object, msg: string, extra: Record<string, unknown> = {}): void {
    const def = this.def(name);
    const wire = def.encode(0, request);
    this.log.info({ request: name, bytes: wire.length, ...extra, fields: def.decode(wire, 0, wire.length) }, msg);
  }
}
