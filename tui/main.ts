#!/usr/bin/env node
/** `ymir`: the host command. The embedded VM and its TUI arrive with the machine issue. */
process.stdout.write('ymir-dbg: the VMCALL ABI is in shell-protocol/ (see shell-protocol/spec.md).\n');
