// Placeholder until the test-model cache lands: vitest requires the file named in its config.
export default function setup(): void {}
