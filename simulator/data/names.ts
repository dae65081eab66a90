/** Word lists for people and places: enough variety that a sample of customers reads like a real list. */

export const FIRST_NAMES: readonly string[] = [
  'Emma', 'Liam', 'Olivia', 'Noah', 'Ava', 'Elijah', 'Sophia', 'James', 'Isabella', 'Lucas', 'Mia', 'Mason',
  'Amelia', 'Ethan', 'Harper', 'Logan', 'Evelyn', 'Oliver', 'Abigail', 'Aiden', 'Emily', 'Jacob', 'Ella', 'Michael',
  'Chloe', 'Daniel', 'Grace', 'Henry', 'Zoe', 'Jackson', 'Nora', 'Sebastian', 'Lily', 'Samuel', 'Hannah', 'David',
  'Aria', 'Joseph', 'Layla', 'Carter', 'Priya', 'Arjun', 'Mei', 'Wei', 'Sofia', 'Mateo', 'Fatima', 'Omar',
  'Chloé', 'Léa', 'Jean-Luc', 'Zoë', 'Siobhan', 'Niamh', 'Kenji', 'Yuki', 'Aroha', 'Tane', 'Ingrid', 'Lars',
];

export const LAST_NAMES: readonly string[] = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
  'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores',
  "O'Brien", 'MacDonald', 'Tremblay', 'Gagnon', 'Côté', 'Müller', 'Schmidt', 'Patel', 'Singh', 'Kim',
  'Chen', 'Wang', 'Tanaka', 'Sato', 'Ngata', 'Andersson', 'Novak', 'Kowalski', 'Rossi', 'Dubois',
];

export const STREETS: readonly string[] = [
  'Main St', 'Oak Ave', 'Maple Dr', 'Cedar Ln', 'Harbour Rd', 'Park Ave', 'Elm St', 'Lakeview Dr', 'Hillcrest Rd',
  'River Rd', 'Church St', 'Mill Ln', 'Station Rd', 'Victoria St', 'King St', 'Queen St', 'Bay St', 'Ocean Blvd',
];

export const EMAIL_DOMAINS: readonly string[] = ['gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'icloud.com', 'proton.me', 'aol.com'];

export const STAFF: readonly string[] = ['Alex Morgan', 'Sam Rivera', 'Jordan Blake', 'Casey Quinn', 'Taylor Reed'];

export const HEARD_FROM: readonly string[] = ['Google', 'Friend', 'TripAdvisor', 'Instagram', 'Hotel concierge', 'Returning customer', 'Facebook'];

/** Keeps accents out of e-mail local parts, as people do. */
export function emailSafe(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();
}
