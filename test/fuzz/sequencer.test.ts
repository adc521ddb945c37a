import { sequencerProperties } from './sequencer-model.ts';

sequencerProperties();
