// Imported first by tests that check colours: chalk decides its colour level when Ink loads, and a test
// runner's stdout is not a terminal.
process.env.FORCE_COLOR = '1';
