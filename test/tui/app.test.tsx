import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../tui/components/App.js';
import { FakeMonitor } from './fake-monitor.js';

const tick = (ms = 60) => new Promise((resolve) => setTimeout(resolve, ms));
let cleanup: (() => void) | undefined;
afterEach(() => { cleanup?.(); cleanup = undefined; });

function mount(vm = new FakeMonitor()) {
  const onQuit = vi.fn();
  const app = render(createElement(App, { vm, onQuit }));
  cleanup = () => app.unmount();
  return { vm, app, onQuit };
}

describe('the TUI app', () => {
  it('sends the input line to COM1 with a carriage return on Enter', async () => {
    const { vm, app } = mount();
    await tick();
    app.stdin.write('ymirsh');
    await tick();
    app.stdin.write('\r');
    await tick();
    expect(vm.com1.written).toEqual(['ymirsh\r']);
  });
});

describe('the TUI app with pasted input', () => {
  it('sends each pasted line separately', async () => {
    const { vm, app } = mount();
    await tick();
    app.stdin.write('echo one\recho two\r');
    await tick();
    expect(vm.com1.written).toEqual(['echo one\r', 'echo two\r']);
  });
});
