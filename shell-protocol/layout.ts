/**
 * Struct layouts as data: one definition gives the TypeScript codec its offsets and the C header
 * generator its packed structs, so the two cannot drift apart. Every struct is little-endian,
 * naturally aligned, and its size a multiple of 8.
 */
export type FieldType = 'u8' | 'u16' | 'u32' | 'u64' | 's32';

const FIELD_SIZE: Record<FieldType, number> = { u8: 1, u16: 2, u32: 4, u64: 8, s32: 4 };

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  /** Array length for fixed arrays (`u64 gprs[16]`, `char name[28]` as u8). */
  readonly count?: number;
  readonly doc: string;
}

export interface StructLayout<Names extends string> {
  /** C name, e.g. `ymir_vmc_request_header`. */
  readonly cName: string;
  readonly doc: string;
  readonly fields: readonly (FieldSpec & { readonly offset: number; readonly size: number })[];
  readonly offset: { readonly [K in Names]: number };
  readonly size: number;
}

export function defineStruct<const F extends readonly FieldSpec[]>(
  cName: string,
  doc: string,
  fields: F,
): StructLayout<F[number]['name']> {
  let offset = 0;
  const placed = fields.map((field) => {
    const unit = FIELD_SIZE[field.type];
    if (offset % unit !== 0) throw new Error(`${cName}.${field.name} is misaligned at ${offset}`);
    const size = unit * (field.count ?? 1);
    const result = { ...field, offset, size };
    offset += size;
    return result;
  });
  if (offset % 8 !== 0) throw new Error(`${cName} is ${offset} bytes, not a multiple of 8`);
  const offsets = Object.fromEntries(placed.map((f) => [f.name, f.offset])) as {
    [K in F[number]['name']]: number;
  };
  return { cName, doc, fields: placed, offset: offsets, size: offset };
}

/**
 * Round up to the 8-byte alignment every entry and record keeps. Plain arithmetic, not `& ~7`:
 * lengths come from guest u32 fields, and bitwise operators would wrap them at 2^31.
 */
export function align8(n: number): number {
  const rest = n % 8;
  return rest === 0 ? n : n + 8 - rest;
}
