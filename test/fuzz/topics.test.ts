import { topicProperties } from './topics-model.ts';

topicProperties();
