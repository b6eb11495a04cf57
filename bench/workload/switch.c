/* A bytecode interpreter: a dense switch that gcc compiles to a jump table, over a generated
   program of stack-machine operations. */
#include "workload.h"

enum op { PUSH, ADD, SUB, MUL, AND, OR, XOR, SHL, SHR, DUP, SWAP, DROP, NEG, NOT, INC, DEC, OP_COUNT };
static uint8_t code[4096];
static uint64_t stack[64];

uint64_t wl_switch(uint32_t seed, uint32_t size) {
  uint64_t state = seed | 1;
  uint32_t n = size < sizeof code ? size : sizeof code;
  for (uint32_t k = 0; k < n; k++) code[k] = (uint8_t)(wl_next(&state) % OP_COUNT);
  int sp = 0;
  uint64_t acc = seed;
  for (int round = 0; round < 4; round++) {
    for (uint32_t pc = 0; pc < n; pc++) {
      uint64_t x = sp > 0 ? stack[sp - 1] : acc;
      uint64_t y = sp > 1 ? stack[sp - 2] : acc >> 7;
      switch ((enum op)code[pc]) {
      case PUSH: if (sp < 64) stack[sp++] = acc + pc; break;
      case ADD: if (sp > 1) stack[--sp - 1] = x + y; break;
      case SUB: if (sp > 1) stack[--sp - 1] = y - x; break;
      case MUL: if (sp > 1) stack[--sp - 1] = x * y; break;
      case AND: if (sp > 1) stack[--sp - 1] = x & y; break;
      case OR: if (sp > 1) stack[--sp - 1] = x | y; break;
      case XOR: if (sp > 1) stack[--sp - 1] = x ^ y; break;
      case SHL: if (sp > 0) stack[sp - 1] = x << (y & 63); break;
      case SHR: if (sp > 0) stack[sp - 1] = x >> (y & 63); break;
      case DUP: if (sp > 0 && sp < 64) { stack[sp] = x; sp++; } break;
      case SWAP: if (sp > 1) { stack[sp - 1] = y; stack[sp - 2] = x; } break;
      case DROP: if (sp > 0) acc ^= stack[--sp]; break;
      case NEG: if (sp > 0) stack[sp - 1] = 0 - x; break;
      case NOT: if (sp > 0) stack[sp - 1] = ~x; break;
      case INC: acc++; break;
      case DEC: acc--; break;
      default: return 0;
      }
    }
  }
  while (sp > 0) acc = acc * 31 + stack[--sp];
  return acc;
}
