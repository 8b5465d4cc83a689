import { toHex } from '@ferry/domain';
import type { AddressRangeInput } from '../common/fleet-shapes.js';
import { parseHexU64 } from '../common/hex.js';
import type { LineProblem } from './reserved-regions.js';

// "<start>-<end> : <name>", indented two spaces per nesting level; end is inclusive.
const IOMEM_LINE = /^( *)([0-9a-fA-F]+)-([0-9a-fA-F]+) : (.*)$/;

// ACPI hosts (x86, Arm servers) name a root bus window "PCI Bus <domain>:<bus>".
const ACPI_ROOT_BUS = /^PCI Bus [0-9a-f]{4}:[0-9a-f]{2}$/;
// Device-tree hosts name it after the host-bridge node: "pcie@10000000", "/pciex@600c3c0000000".
const DT_HOST_BRIDGE = /(^|\/)(pci|pcie|pciex)@[0-9a-f]+$/;

/**
 * Host-bridge MMIO windows from /proc/iomem (docs/domain.md#bridge-windows): a DMA to these
 * addresses may be routed peer-to-peer before it reaches the IOMMU, and the kernel
 * does not list them in reserved_regions. Only top-level entries are windows;
 * nested "PCI Bus" lines are bridges inside them.
 */
export function parseBridgeWindows(text: string): { windows: AddressRangeInput[]; problems: LineProblem[] } {
  const windows: AddressRangeInput[] = [];
  const problems: LineProblem[] = [];
  let hiddenWindows = 0;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();

  lines.forEach((content, index) => {
    const line = index + 1;
    const match = IOMEM_LINE.exec(content);
    if (!match) {
      problems.push({
        severity: 'error',
        line,
        message: `malformed /proc/iomem line ${JSON.stringify(content)}; line skipped`,
      });
      return;
    }
    const [, indent, startText, endText, name] = match;
    const start = parseHexU64(startText);
    const end = parseHexU64(endText);
    if (start === undefined || end === undefined) {
      problems.push({ severity: 'error', line, message: `address does not fit in 64 bits (${content}); line skipped` });
      return;
    }
    if (end < start) {
      problems.push({ severity: 'error', line, message: `range ends before it starts (${content}); line skipped` });
      return;
    }
    if (indent !== '' || !(ACPI_ROOT_BUS.test(name) || DT_HOST_BRIDGE.test(name))) return;
    // The kernel prints zeros instead of addresses to readers without CAP_SYS_ADMIN.
    if (start === 0n && end === 0n) {
      hiddenWindows++;
      return;
    }
    windows.push({ start: toHex(start), end: toHex(end) });
  });

  if (hiddenWindows > 0) {
    problems.push({
      severity: 'warning',
      message: `${hiddenWindows} host-bridge windows read as 0-0: /proc/iomem hides addresses from non-root readers; bridge windows are incomplete`,
    });
  }
  return { windows, problems };
}
