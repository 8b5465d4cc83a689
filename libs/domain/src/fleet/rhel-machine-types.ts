// Red Hat's downstream machine types (pc-q35-rhel9.4.0, pc-i440fx-rhel7.6.0, virt-rhel9.2.0, …).
//
// A RHEL machine type is cut when RHEL rebases qemu-kvm onto an upstream release, and its compat
// properties are upstream's as of that release (Red Hat's hw/i386/pc_q35.c, pc_piix.c and
// hw/arm/virt.c in the CentOS Stream qemu-kvm tree derive each rhelX.Y.0 machine from the upstream
// options of the rebase). So the layout rules of `<family>-rhelX.Y.0` are those of the upstream
// version below: the qemu-kvm release each RHEL minor release shipped (RHEL release notes; the
// `qemu-kvm` / `qemu-kvm-rhev` package versions: 7.0 1.5.3, 7.1 2.1.2, 7.2 2.3.0, 7.3 2.6.0,
// 7.4 2.9.0, 7.5 2.10.0, 7.6 2.12.0, 8.0 AV 3.1.0, 8.1 4.1.0, 8.2 4.2.0, 8.3 5.1.0, 8.4 5.2.0,
// 8.5 6.0.0, 8.6 6.2.0, 9.0 6.2.0, 9.2 7.2.0, 9.4 8.2.0, 9.6 9.1.0, 10.0 9.1.0).
//
// What this decides for the layout: the AMD 1 TiB hole is enforced from rhel9.2.0 (upstream 7.1+),
// i440fx device memory is ordered as upstream ≥ 2.5 from rhel7.3.0. Red Hat only adds machine
// types when it rebases, so a name missing here is not one RHEL shipped.
export const RHEL_UPSTREAM_VERSIONS: Readonly<Record<string, readonly [number, number]>> = {
  '7.0.0': [1, 5],
  '7.1.0': [2, 1],
  '7.2.0': [2, 3],
  '7.3.0': [2, 6],
  '7.4.0': [2, 9],
  '7.5.0': [2, 10],
  '7.6.0': [2, 12],
  '8.0.0': [3, 1],
  '8.1.0': [4, 1],
  '8.2.0': [4, 2],
  '8.3.0': [5, 1],
  '8.4.0': [5, 2],
  '8.5.0': [6, 0],
  '8.6.0': [6, 2],
  '9.0.0': [6, 2],
  '9.2.0': [7, 2],
  '9.4.0': [8, 2],
  '9.6.0': [9, 1],
  '10.0.0': [9, 1],
};
