/**
 * How each event category reads in a sentence (alert text, recommendation rationale,
 * the retrieval query). Categories are free text, not vocabulary: these labels are
 * defaults until they become org data (org settings); unknown categories read as
 * their name.
 */
export const CATEGORY_LABELS: Readonly<Record<string, string>> = Object.freeze({
  fire: 'fire',
  flood: 'flooding',
  traffic: 'traffic collision',
  crime: 'crime',
  medical: 'medical emergency',
  infrastructure: 'infrastructure failure',
  air_quality: 'air quality',
  public_disorder: 'public disorder',
});

export function categoryLabel(category: string): string {
  return CATEGORY_LABELS[category] ?? category.replace(/_/g, ' ');
}
