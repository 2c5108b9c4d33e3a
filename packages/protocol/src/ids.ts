declare const brand: unique symbol;

/** A string id that cannot be confused with another kind of id. */
export type Branded<T, B extends string> = T & { readonly [brand]: B };

export type UserId = Branded<string, 'UserId'>;
export type ChatId = Branded<string, 'ChatId'>;
export type MessageId = Branded<string, 'MessageId'>;
export type SessionId = Branded<string, 'SessionId'>;
