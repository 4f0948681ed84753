// Search attributes the workflows set, so the Temporal UI can filter by stage and provider.
import { defineSearchAttributeKey } from '@temporalio/common';

export const VSR_STAGE = defineSearchAttributeKey('VsrStage', 'KEYWORD');
export const VSR_PROVIDER = defineSearchAttributeKey('VsrProvider', 'KEYWORD');
export const VSR_BATCH = defineSearchAttributeKey('VsrBatchId', 'KEYWORD');

/** Names and CLI types, for `temporal server start-dev --search-attribute NAME=TYPE`. */
export const SEARCH_ATTRIBUTES = [VSR_STAGE, VSR_PROVIDER, VSR_BATCH].map((k) => ({ key: k, name: k.name, type: 'Keyword' as const }));
