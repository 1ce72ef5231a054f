namespace Crm.Providers; internal static class Placeholder { }
