/** What the models of `delta-server-process.ts` reply, turn by turn, for the tests to compare with. */
export const deskReplies = [
  '{"intent":"checker","message":"run the checks on the release candidate"}',
  '{"intent":"done_for_now","message":"the checks passed, the release can go"}',
];
export const checkerReplies = ['{"intent":"done_for_now","message":"all checks passed"}'];
