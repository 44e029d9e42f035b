import { createConsumerCircuit } from '../../src/consumerCircuit';
import type { CircuitState } from '../../src/eventBusTypes';

function circuitWithClock(failureThreshold = 3, coolDownMs = 1000) {
  let time = 0;
  const changes: CircuitState[] = [];
  const circuit = createConsumerCircuit({ failureThreshold, coolDownMs, now: () => time, onChange: (state) => void changes.push(state) });
  return { circuit, changes, advance: (ms: number) => void (time += ms) };
}

/** One delivery that the circuit let through, settled as `outcome`. */
function deliver(circuit: ReturnType<typeof createConsumerCircuit>, outcome: 'success' | 'failure'): 'refused' | 'delivered' {
  if (circuit.refuses()) return 'refused';
  const trial = circuit.begin();
  if (outcome === 'success') circuit.succeeded(trial);
  else circuit.failed(trial);
  return 'delivered';
}

describe('createConsumerCircuit', () => {
  it('opens after the threshold of consecutive failures, and a success in between starts the count again', () => {
    const { circuit, changes } = circuitWithClock(3);
    for (const outcome of ['failure', 'failure', 'success', 'failure', 'failure'] as const) deliver(circuit, outcome);
    expect(circuit.state()).toBe('closed');
    deliver(circuit, 'failure');
    expect(circuit.state()).toBe('open');
    expect(changes).toEqual(['open']);
    expect(circuit.refuses()).toBe(true);
  });

  it('refuses for the whole cool-down by the injected clock, then lets exactly one trial through', () => {
    const { circuit, changes, advance } = circuitWithClock(1, 1000);
    deliver(circuit, 'failure');
    advance(999);
    expect(circuit.refuses()).toBe(true);
    advance(1);
    expect(circuit.refuses()).toBe(false);
    expect(circuit.state()).toBe('half_open');
    expect(circuit.begin()).toBe(true);
    expect(circuit.refuses()).toBe(true);
    expect(circuit.state()).toBe('half_open');
    circuit.succeeded(true);
    expect(circuit.state()).toBe('closed');
    expect(circuit.begin()).toBe(false);
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('opens again for a full cool-down when the trial fails', () => {
    const { circuit, advance } = circuitWithClock(5, 1000);
    for (let i = 0; i < 5; i += 1) deliver(circuit, 'failure');
    advance(1000);
    expect(deliver(circuit, 'failure')).toBe('delivered');
    expect(circuit.state()).toBe('open');
    advance(999);
    expect(circuit.refuses()).toBe(true);
    advance(1);
    expect(circuit.refuses()).toBe(false);
  });

  it('is closed by the trial only: deliveries started before it opened settle without effect', () => {
    const { circuit, advance } = circuitWithClock(1, 1000);
    expect(circuit.refuses()).toBe(false);
    const early = circuit.begin();
    deliver(circuit, 'failure');
    circuit.succeeded(early);
    expect(circuit.state()).toBe('open');

    advance(1000);
    expect(circuit.refuses()).toBe(false);
    const trial = circuit.begin();
    circuit.failed(false);
    expect(circuit.state()).toBe('half_open');
    circuit.succeeded(trial);
    expect(circuit.state()).toBe('closed');
  });

  it('stays half-open, waiting for its trial, when a delivery is not started after the cool-down', () => {
    const { circuit, advance } = circuitWithClock(1, 10);
    deliver(circuit, 'failure');
    advance(10);
    expect(circuit.refuses()).toBe(false);
    expect(circuit.refuses()).toBe(false);
    expect(circuit.begin()).toBe(true);
  });
});
