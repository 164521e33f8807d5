// `npm start` / `tickwire start`: the whole product on embedded defaults. The
// pipeline that it runs (simulator → engine → Kafka) is not wired yet; until
// then it says so plainly instead of pretending.
export async function run(): Promise<number> {
  process.stderr.write(
    'tickwire start: not yet available — the end-to-end pipeline (simulator → engine → Kafka) is still being built.\n' +
      'What works today: `npm test` (rings, native engine, normalizers).\n',
  );
  return 1;
}
