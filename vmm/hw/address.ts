/**
 * Guest addresses as their own types (after rust-vmm's vm-memory): a guest-physical address and a
 * guest-virtual one are both 64-bit unsigned bigints but cannot be mixed up. Ranges are half-open.
 */
declare const gpaBrand: unique symbol;
declare const gvaBrand: unique symbol;

/** A guest-physical address. */
export type Gpa = bigint & { readonly [gpaBrand]: true };
/** A guest-virtual (linear) address. With CR0.PG clear it equals the guest-physical one. */
export type Gva = bigint & { readonly [gvaBrand]: true };

const U64_MAX = (1n << 64n) - 1n;

export class AddressError extends RangeError {
  override readonly name = 'AddressError';
  constructor(readonly value: bigint) {
    super(`address 0x${value.toString(16)} is not a 64-bit unsigned value`);
  }
}

function checkU64(value: bigint): bigint {
  if (value < 0n || value > U64_MAX) throw new AddressError(value);
  return value;
}

export function gpa(value: bigint | number): Gpa {
  return checkU64(BigInt(value)) as Gpa;
}

export function gva(value: bigint | number): Gva {
  return checkU64(BigInt(value)) as Gva;
}

/** `addr + offset`, or undefined when it would pass 2^64 (vm-memory's checked_add). */
export function checkedAdd<A extends Gpa | Gva>(addr: A, offset: bigint | number): A | undefined {
  const sum = addr + BigInt(offset);
  return sum < 0n || sum > U64_MAX ? undefined : (sum as A);
}

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12n;

export function hex(value: bigint | number): string {
  return `0x${value.toString(16)}`;
}
